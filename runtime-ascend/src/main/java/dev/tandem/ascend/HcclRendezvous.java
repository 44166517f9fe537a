package dev.tandem.ascend;

import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.InvalidArgumentException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands rank 0's {@code HcclRootInfo} (4108 bytes) to the other ranks of a multi-process group, before they call
 * {@link AscendRuntime#joinCommunicator(AscendDevice, byte[], int, int, dev.tandem.runtime.CommunicatorOptions)}.
 * Two transports: TCP (rank 0 serves, the others connect to {@code host:port}), or a file on a filesystem all
 * ranks share. Both time out with {@link CollectiveTimeoutException} instead of hanging.
 *
 * <pre>{@code
 * // rank 0                                            // rank r > 0
 * byte[] info = HcclCommunicator.rootInfo(dev);        byte[] info = HcclRendezvous.fetch(rootAddress, timeout);
 * try (var server = HcclRendezvous.serve(bind, info, size - 1)) {
 *     comm = rt.joinCommunicator(dev, info, size, 0, options);   comm = rt.joinCommunicator(dev, info, size, r, options);
 * }
 * }</pre>
 */
public final class HcclRendezvous {
    private static final int MAGIC = 0x544E444D; // "TNDM"

    private HcclRendezvous() {
    }

    /** A running root-info server; closing it stops accepting. */
    public static final class Server implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;
        private final AtomicInteger served = new AtomicInteger();

        private Server(ServerSocket socket, byte[] rootInfo, int peers) {
            this.socket = socket;
            this.thread = Thread.ofPlatform().daemon().name("tandem-hccl-rendezvous").start(() -> {
                while (served.get() < peers && !socket.isClosed()) {
                    try (Socket peer = socket.accept(); DataOutputStream out = new DataOutputStream(peer.getOutputStream())) {
                        out.writeInt(MAGIC);
                        out.writeInt(rootInfo.length);
                        out.write(rootInfo);
                        out.flush();
                        served.incrementAndGet();
                    } catch (IOException e) {
                        if (socket.isClosed()) {
                            return;
                        }
                    }
                }
            });
        }

        /**
         * The bound port (useful when binding port 0).
         *
         * @return the local TCP port
         */
        public int port() {
            return socket.getLocalPort();
        }

        /**
         * How many ranks received the root info so far.
         *
         * @return the number of ranks served
         */
        public int served() {
            return served.get();
        }

        /**
         * Waits until every expected rank was served, or fails after {@code timeout}. An interrupt ends the wait
         * early (the thread's interrupt flag is set again) and fails the same way if ranks are still missing.
         *
         * @param timeout how long to wait
         * @throws CollectiveTimeoutException when not every rank connected in time
         */
        public void awaitServed(Duration timeout) {
            try {
                thread.join(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                throw new CollectiveTimeoutException("root info rendezvous on port " + port() + ": only " + served.get()
                        + " rank(s) connected within " + timeout);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a server socket that is already closed
            }
        }
    }

    /**
     * Rank 0: serves {@code rootInfo} to {@code peers} connecting ranks, in the background (a daemon thread).
     *
     * @param bind     the local address and port to listen on (port 0 picks a free one)
     * @param rootInfo rank 0's root info, 4108 bytes; it is copied
     * @param peers    how many ranks to serve before the server stops accepting
     * @return the running server; close it when done
     * @throws InvalidArgumentException when {@code rootInfo} has the wrong length or the address cannot be bound
     */
    public static Server serve(InetSocketAddress bind, byte[] rootInfo, int peers) {
        check(rootInfo);
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(bind, Math.max(peers, 1));
            return new Server(socket, rootInfo.clone(), peers);
        } catch (IOException e) {
            throw new InvalidArgumentException("cannot listen on " + bind + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ranks other than 0: connects to rank 0 (retrying until it listens) and reads the root info.
     *
     * @param root    rank 0's server address
     * @param timeout how long to keep trying
     * @return the root info, 4108 bytes
     * @throws InvalidArgumentException when the peer is not a Tandem root-info server or sends a blob of the wrong
     *         length
     * @throws CollectiveTimeoutException when no root info arrived within {@code timeout}
     */
    public static byte[] fetch(InetSocketAddress root, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            int remaining = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
            try (Socket socket = new Socket()) {
                socket.connect(root, remaining);
                socket.setSoTimeout(remaining);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                if (in.readInt() != MAGIC) {
                    throw new InvalidArgumentException(root + " is not a Tandem root-info server");
                }
                byte[] info = new byte[in.readInt()];
                in.readFully(info);
                check(info);
                return info;
            } catch (SocketTimeoutException e) {
                last = e;
            } catch (IOException e) {
                last = e;
                sleepQuietly(20);
            }
        }
        throw new CollectiveTimeoutException("no root info from rank 0 at " + root + " within " + timeout
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
    }

    /**
     * Rank 0, shared-filesystem variant: writes the root info atomically (temporary file, then rename).
     *
     * @param file     the file the other ranks {@link #await} (replaced if it exists)
     * @param rootInfo rank 0's root info, 4108 bytes
     * @throws InvalidArgumentException when {@code rootInfo} has the wrong length or the file cannot be written
     */
    public static void publish(Path file, byte[] rootInfo) {
        check(rootInfo);
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, rootInfo);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new InvalidArgumentException("cannot publish root info to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Other ranks, shared-filesystem variant: waits for the file rank 0 publishes.
     *
     * @param file    the file rank 0 {@link #publish}es
     * @param timeout how long to wait for it
     * @return the root info, 4108 bytes
     * @throws InvalidArgumentException when the file holds a blob of the wrong length
     * @throws CollectiveTimeoutException when the file did not appear within {@code timeout}
     */
    public static byte[] await(Path file, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(file)) {
                try {
                    byte[] info = Files.readAllBytes(file);
                    check(info);
                    return info;
                } catch (IOException e) {
                    // being replaced; retry
                }
            }
            sleepQuietly(10);
        }
        throw new CollectiveTimeoutException("root info file " + file + " did not appear within " + timeout);
    }

    private static void check(byte[] info) {
        if (info == null || info.length != HcclCommunicator.ROOT_INFO_BYTES) {
            throw new InvalidArgumentException("root info must be " + HcclCommunicator.ROOT_INFO_BYTES + " bytes, got "
                    + (info == null ? "null" : info.length));
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
