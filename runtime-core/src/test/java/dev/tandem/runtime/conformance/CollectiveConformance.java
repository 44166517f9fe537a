package dev.tandem.runtime.conformance;

import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.TandemException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream.Builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every collective against a host-computed oracle, for 1..8 ranks and every dtype. Values are small integers so
 * that float sums are exact and the oracle needs no tolerance.
 */
public abstract class CollectiveConformance extends ConformanceBase {

    /** One rank's device, stream and communicator. */
    protected record Rank(Device device, Stream stream, Communicator comm) {
    }

    protected List<Rank> ranks(int size, CommunicatorOptions options) {
        TandemRuntime rt = runtime(size);
        List<Device> devices = rt.devices().subList(0, size);
        List<Communicator> comms = rt.createCommunicators(devices, options);
        List<Rank> ranks = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            ranks.add(new Rank(devices.get(r), devices.get(r).createStream("comm" + r), comms.get(r)));
        }
        return ranks;
    }

    static java.util.stream.Stream<Arguments> sizesAndDtypes() {
        Builder<Arguments> b = java.util.stream.Stream.builder();
        for (int size : new int[]{1, 2, 3, 4, 8}) {
            for (DType dt : DType.values()) {
                b.add(Arguments.of(size, dt));
            }
        }
        return b.build();
    }

    static java.util.stream.Stream<Arguments> sizes() {
        return java.util.stream.Stream.of(1, 2, 3, 4, 5, 8).map(Arguments::of);
    }

    @ParameterizedTest(name = "allReduce {0} ranks {1}")
    @MethodSource("sizesAndDtypes")
    void allReduceMatchesOracle(int size, DType dtype) {
        List<Rank> ranks = ranks(size, CommunicatorOptions.defaults());
        int n = 37;
        for (ReduceOp op : ReduceOp.values()) {
            if (!ranks.get(0).comm().supportsReduction(dtype, op)) {
                // A backend that cannot reduce this combination says so and rejects it before enqueueing.
                Rank r0 = ranks.get(0);
                Tensor t = Tensor.allocate(r0.device(), r0.stream(), dtype, n);
                assertThatThrownBy(() -> r0.comm().allReduce(r0.stream(), t, t, op))
                        .isInstanceOf(TandemException.class).hasMessageContaining(op.toString());
                continue;
            }
            long[][] inputs = new long[size][n];
            Random random = new Random(size * 31L + op.ordinal());
            for (int r = 0; r < size; r++) {
                for (int i = 0; i < n; i++) {
                    inputs[r][i] = sample(dtype, random, op);
                }
            }
            List<Tensor> sends = new ArrayList<>();
            List<Tensor> recvs = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Rank rank = ranks.get(r);
                Tensor send = upload(rank, dtype, inputs[r]);
                Tensor recv = r % 2 == 0 ? send : Tensor.allocate(rank.device(), rank.stream(), dtype, n); // in place too
                sends.add(send);
                recvs.add(recv);
            }
            for (int r = 0; r < size; r++) {
                ranks.get(r).comm().allReduce(ranks.get(r).stream(), sends.get(r), recvs.get(r), op);
            }
            long[] expected = new long[n];
            for (int i = 0; i < n; i++) {
                long acc = inputs[0][i];
                for (int r = 1; r < size; r++) {
                    acc = apply(dtype, op, acc, inputs[r][i]);
                }
                expected[i] = acc;
            }
            for (int r = 0; r < size; r++) {
                assertThat(download(ranks.get(r), recvs.get(r))).as("%s rank %d", op, r).containsExactly(expected);
            }
        }
    }

    @ParameterizedTest(name = "large allReduce {0} ranks")
    @MethodSource("sizes")
    void largeAllReduceMatchesOracle(int size) {
        List<Rank> ranks = ranks(size, CommunicatorOptions.defaults());
        int n = 10_007;   // large enough for chunked implementations, and not a multiple of the rank count
        for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.I32, DType.I64}) {
            long[][] inputs = new long[size][n];
            Random random = new Random(size * 101L + dtype.ordinal());
            for (int r = 0; r < size; r++) {
                for (int i = 0; i < n; i++) {
                    inputs[r][i] = sample(dtype, random, ReduceOp.MAX);
                }
            }
            List<Tensor> tensors = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Tensor t = upload(ranks.get(r), dtype, inputs[r]);
                ranks.get(r).comm().allReduce(ranks.get(r).stream(), t, t, ReduceOp.SUM);   // in place
                tensors.add(t);
            }
            for (int r = 0; r < size; r++) {
                long[] got = download(ranks.get(r), tensors.get(r));
                for (int i = 0; i < n; i++) {
                    long acc = inputs[0][i];
                    for (int q = 1; q < size; q++) {
                        acc = apply(dtype, ReduceOp.SUM, acc, inputs[q][i]);
                    }
                    if (got[i] != acc) {
                        assertThat(got[i]).as("%s rank %d element %d", dtype, r, i).isEqualTo(acc);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "allGather+reduceScatter+broadcast {0} ranks {1}")
    @MethodSource("sizesAndDtypes")
    void gatherScatterBroadcastMatchOracle(int size, DType dtype) {
        List<Rank> ranks = ranks(size, CommunicatorOptions.defaults());
        int n = 5;
        Random random = new Random(size);
        long[][] inputs = new long[size][size * n];
        for (int r = 0; r < size; r++) {
            for (int i = 0; i < size * n; i++) {
                inputs[r][i] = sample(dtype, random, ReduceOp.SUM);
            }
        }
        List<Tensor> gathered = new ArrayList<>();
        List<Tensor> scattered = new ArrayList<>();
        List<Tensor> broadcasts = new ArrayList<>();
        int root = size - 1;
        boolean sums = ranks.get(0).comm().supportsReduction(dtype, ReduceOp.SUM);
        for (int r = 0; r < size; r++) {
            Rank rank = ranks.get(r);
            Tensor full = upload(rank, dtype, inputs[r]);
            Tensor g = Tensor.allocate(rank.device(), rank.stream(), dtype, size, n);
            rank.comm().allGather(rank.stream(), full.slice(0, 0, n), g);
            Tensor sc = Tensor.allocate(rank.device(), rank.stream(), dtype, n);
            if (sums) {
                rank.comm().reduceScatter(rank.stream(), full, sc, ReduceOp.SUM);
            }
            Tensor bc = upload(rank, dtype, inputs[r]);
            rank.comm().broadcast(rank.stream(), bc, root);
            gathered.add(g);
            scattered.add(sc);
            broadcasts.add(bc);
        }
        for (int r = 0; r < size; r++) {
            long[] g = download(ranks.get(r), gathered.get(r));
            for (int q = 0; q < size; q++) {
                for (int i = 0; i < n; i++) {
                    assertThat(g[q * n + i]).isEqualTo(inputs[q][i]);
                }
            }
            long[] sc = download(ranks.get(r), scattered.get(r));
            for (int i = 0; i < n && sums; i++) {
                long acc = inputs[0][r * n + i];
                for (int q = 1; q < size; q++) {
                    acc = apply(dtype, ReduceOp.SUM, acc, inputs[q][r * n + i]);
                }
                assertThat(sc[i]).as("reduceScatter rank %d element %d", r, i).isEqualTo(acc);
            }
            assertThat(download(ranks.get(r), broadcasts.get(r))).containsExactly(inputs[root]);
        }
    }

    @ParameterizedTest(name = "allToAllV {0} ranks")
    @MethodSource("sizes")
    void allToAllVWithUnevenAndZeroCounts(int size) {
        for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.I64, DType.U8}) {
            List<Rank> ranks = ranks(size, CommunicatorOptions.defaults());
            Random random = new Random(size * 7L + dtype.ordinal());
            long[][] counts = new long[size][size];   // counts[src][dst]
            for (int s = 0; s < size; s++) {
                for (int d = 0; d < size; d++) {
                    counts[s][d] = random.nextInt(4) == 0 ? 0 : random.nextInt(6);
                }
            }
            List<Tensor> recvs = new ArrayList<>();
            List<long[]> sendData = new ArrayList<>();
            List<long[]> recvDisplsAll = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Rank rank = ranks.get(r);
                long[] sendCounts = counts[r];
                long[] sendDispls = new long[size];
                long total = 0;
                for (int d = 0; d < size; d++) {
                    sendDispls[d] = total + 1;          // a gap of one element before each block
                    total += sendCounts[d] + 1;
                }
                long[] data = new long[(int) total];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (r * 10 + i) % 100;
                }
                sendData.add(data);
                long[] recvCounts = new long[size];
                long[] recvDispls = new long[size];
                long rtotal = 0;
                for (int s = size - 1; s >= 0; s--) { // reversed placement: displacements need not be ordered
                    recvCounts[s] = counts[s][r];
                    recvDispls[s] = rtotal;
                    rtotal += recvCounts[s];
                }
                recvDisplsAll.add(recvDispls);
                Tensor send = upload(rank, dtype, data);
                Tensor recv = Tensor.allocate(rank.device(), rank.stream(), dtype, Math.max(rtotal, 1));
                recvs.add(recv);
                rank.comm().allToAllV(rank.stream(), send, sendCounts, sendDispls, recv.slice(0, 0, rtotal), recvCounts, recvDispls);
            }
            for (int r = 0; r < size; r++) {
                long[] got = download(ranks.get(r), recvs.get(r));
                for (int s = 0; s < size; s++) {
                    long srcDispl = 1;
                    for (int d = 0; d < r; d++) {
                        srcDispl += counts[s][d] + 1;
                    }
                    for (int i = 0; i < counts[s][r]; i++) {
                        assertThat(got[(int) (recvDisplsAll.get(r)[s] + i)]).as("%s rank %d from %d element %d", dtype, r, s, i)
                                .isEqualTo(sendData.get(s)[(int) (srcDispl + i)]);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "allToAll, send/recv, barrier {0} ranks")
    @MethodSource("sizes")
    void allToAllPointToPointAndBarrier(int size) {
        List<Rank> ranks = ranks(size, CommunicatorOptions.defaults());
        int chunk = 3;
        List<Tensor> recvs = new ArrayList<>();
        List<Tensor> ring = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            Rank rank = ranks.get(r);
            long[] data = new long[size * chunk];
            for (int i = 0; i < data.length; i++) {
                data[i] = r * 1000 + i;
            }
            Tensor send = upload(rank, DType.I32, data);
            Tensor recv = Tensor.allocate(rank.device(), rank.stream(), DType.I32, size * chunk);
            rank.comm().allToAll(rank.stream(), send, recv);
            rank.comm().barrier(rank.stream());
            recvs.add(recv);
            Tensor token = upload(rank, DType.I64, new long[]{r, r * r});
            ring.add(token);
        }
        if (size > 1) {
            // a ring shift: even ranks send first, odd ranks receive first, so no pair deadlocks on one stream
            List<Tensor> incoming = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Rank rank = ranks.get(r);
                Tensor in = Tensor.allocate(rank.device(), rank.stream(), DType.I64, 2);
                incoming.add(in);
                int next = (r + 1) % size;
                int prev = (r + size - 1) % size;
                if (r % 2 == 0) {
                    rank.comm().send(rank.stream(), ring.get(r), next);
                    rank.comm().recv(rank.stream(), in, prev);
                } else {
                    rank.comm().recv(rank.stream(), in, prev);
                    rank.comm().send(rank.stream(), ring.get(r), next);
                }
            }
            for (int r = 0; r < size; r++) {
                int prev = (r + size - 1) % size;
                assertThat(download(ranks.get(r), incoming.get(r))).containsExactly(prev, (long) prev * prev);
            }
        }
        for (int r = 0; r < size; r++) {
            long[] got = download(ranks.get(r), recvs.get(r));
            for (int s = 0; s < size; s++) {
                for (int i = 0; i < chunk; i++) {
                    assertThat(got[s * chunk + i]).isEqualTo(s * 1000L + r * chunk + i);
                }
            }
        }
    }

    @Test
    void aRankThatNeverJoinsTimesOutWithAClearError() {
        List<Rank> ranks = ranks(3, CommunicatorOptions.defaults().withTimeout(Duration.ofMillis(300)));
        List<Tensor> tensors = new ArrayList<>();
        for (int r = 0; r < 2; r++) {                 // rank 2 never calls allReduce
            Rank rank = ranks.get(r);
            Tensor t = upload(rank, DType.F32, new long[]{1, 2});
            tensors.add(t);
            rank.comm().allReduce(rank.stream(), t, t, ReduceOp.SUM);
        }
        for (int r = 0; r < 2; r++) {
            Stream s = ranks.get(r).stream();
            assertThatThrownBy(() -> s.synchronize(Duration.ofSeconds(30)))
                    .isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("allReduce")
                    .hasRootCauseInstanceOf(CollectiveException.class)
                    .satisfies(e -> assertThat(e.getCause().getMessage()).contains("[2]").containsAnyOf("did not arrive", "aborted"));
        }
        assertThat(ranks.get(0).stream().isIdle()).isTrue();
        // the group is aborted: the late rank fails at once instead of waiting again
        Rank late = ranks.get(2);
        Tensor t = upload(late, DType.F32, new long[]{1, 2});
        late.comm().allReduce(late.stream(), t, t, ReduceOp.SUM);
        assertThatThrownBy(() -> late.stream().synchronize(Duration.ofSeconds(30)))
                .isInstanceOf(StreamFailedException.class).hasRootCauseInstanceOf(CollectiveException.class);
        assertThat(CollectiveTimeoutException.class).isAssignableTo(CollectiveException.class);
    }

    @Test
    void buffersMayBeClosedRightAfterEnqueueingACollective() {
        List<Rank> ranks = ranks(2, CommunicatorOptions.defaults());
        List<Tensor> kept = new ArrayList<>();
        for (Rank r : ranks) {
            Tensor send = upload(r, DType.F32, new long[]{r.comm().rank() + 1L, 5});
            Tensor recv = Tensor.allocate(r.device(), r.stream(), DType.F32, 4);
            Tensor sum = upload(r, DType.F32, new long[]{1, 2});
            Tensor reduced = Tensor.allocate(r.device(), r.stream(), DType.F32, 2);
            r.comm().allGather(r.stream(), send, recv);
            r.comm().allReduce(r.stream(), sum, reduced, ReduceOp.SUM);
            Tensor copy = Tensor.allocate(r.device(), r.stream(), DType.F32, 4);
            r.device().kernels().copy(r.stream(), recv, copy);
            send.buffer().close();                 // stream-ordered: the collectives still see the memory
            recv.buffer().close();
            sum.buffer().close();
            reduced.buffer().close();
            kept.add(copy);
        }
        for (int i = 0; i < ranks.size(); i++) {
            assertThat(download(ranks.get(i), kept.get(i))).containsExactly(1, 5, 2, 5);
        }
    }

    @Test
    void mismatchedCollectivesFailOnEveryRank() {
        List<Rank> ranks = ranks(2, CommunicatorOptions.defaults().withTimeout(Duration.ofSeconds(5)));
        Rank a = ranks.get(0);
        Rank b = ranks.get(1);
        Tensor ta = upload(a, DType.F32, new long[]{1, 2});
        Tensor tb = upload(b, DType.F32, new long[]{1, 2, 3});
        a.comm().allReduce(a.stream(), ta, ta, ReduceOp.SUM);
        b.comm().allReduce(b.stream(), tb, tb, ReduceOp.SUM);
        for (Rank r : ranks) {
            assertThatThrownBy(() -> r.stream().synchronize()).isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("mismatched");
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeEnqueue() {
        List<Rank> ranks = ranks(2, CommunicatorOptions.defaults());
        Rank a = ranks.get(0);
        Rank b = ranks.get(1);
        Tensor f = upload(a, DType.F32, new long[]{1, 2, 3, 4});
        Tensor i = upload(a, DType.I32, new long[]{1, 2, 3, 4});
        Tensor other = upload(b, DType.F32, new long[]{1, 2, 3, 4});
        Communicator c = a.comm();
        Stream s = a.stream();
        assertThatThrownBy(() -> c.allReduce(s, f, i, ReduceOp.SUM)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> c.allReduce(s, f, f.slice(0, 0, 2), ReduceOp.SUM)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> c.allReduce(s, other, other, ReduceOp.SUM)).isInstanceOf(WrongDeviceException.class);
        assertThatThrownBy(() -> c.allReduce(b.stream(), f, f, ReduceOp.SUM)).isInstanceOf(WrongDeviceException.class);
        assertThatThrownBy(() -> c.allGather(s, f, f)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> c.allToAll(s, f.slice(0, 0, 3), f.slice(0, 0, 3))).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> c.allToAllV(s, f, new long[]{1}, new long[]{0}, f, new long[]{1, 1}, new long[]{0, 1}))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> c.allToAllV(s, f, new long[]{-1, 1}, new long[]{0, 0}, f, new long[]{1, 1}, new long[]{0, 1}))
                .isInstanceOf(OutOfRangeException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> c.allToAllV(s, f, new long[]{Long.MAX_VALUE, 1}, new long[]{2, 0}, f, new long[]{1, 1}, new long[]{0, 1}))
                .isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> c.allToAllV(s, f, new long[]{2, 1}, new long[]{3, 0}, f, new long[]{1, 1}, new long[]{0, 1}))
                .isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> c.broadcast(s, f, 2)).isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> c.send(s, f, 0)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> c.recv(s, f, -1)).isInstanceOf(OutOfRangeException.class);
        Tensor strided = Tensor.allocate(a.device(), s, DType.F32, 2, 2).transpose(0, 1);
        assertThatThrownBy(() -> c.allReduce(s, strided, strided, ReduceOp.SUM)).isInstanceOf(ShapeException.class)
                .hasMessageContaining("contiguous");
        s.synchronize();
        c.close();
        assertThatThrownBy(() -> c.barrier(s)).isInstanceOf(IllegalStateException.class);
    }

    // ---- helpers: values are exact small integers in every dtype ----

    private static long sample(DType dtype, Random random, ReduceOp op) {
        return switch (dtype) {
            case BOOL -> random.nextInt(2);
            case U8 -> op == ReduceOp.PROD ? random.nextInt(3) : random.nextInt(20);
            case I8 -> op == ReduceOp.PROD ? random.nextInt(3) - 1 : random.nextInt(20) - 10;
            default -> op == ReduceOp.PROD ? random.nextInt(3) - 1 : random.nextInt(41) - 20;
        };
    }

    private static long apply(DType dtype, ReduceOp op, long a, long b) {
        long v = switch (op) {
            case SUM -> dtype == DType.BOOL ? (a | b) : a + b;
            case PROD -> dtype == DType.BOOL ? (a & b) : a * b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
        return switch (dtype) {
            case I8 -> (byte) v;
            case U8 -> v & 0xFF;
            case I32 -> (int) v;
            default -> v;
        };
    }

    protected static Tensor upload(Rank rank, DType dtype, long[] values) {
        Tensor t = Tensor.allocate(rank.device(), rank.stream(), dtype, values.length);
        Encoding.upload(rank.stream(), t, values);
        return t;
    }

    protected static long[] download(Rank rank, Tensor t) {
        return Encoding.download(rank.stream(), t);
    }
}
