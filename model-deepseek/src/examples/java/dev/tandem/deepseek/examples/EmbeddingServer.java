package dev.tandem.deepseek.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tandem.runtime.json.Json;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.InvalidRequestException;
import dev.tandem.deepseek.serving.StepResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Example: a {@link DeepSeekEngine} behind the JDK's {@link HttpServer}, one virtual thread per exchange; the
 * engine batches what the clients send at the same time. Not part of the library's API.
 *
 * <pre>
 * POST /v1/step     {"request": 7, "positions": [0, 1, 2], "hidden_base64": "..."}   (or "hidden": [numbers])
 *   200 {"request": 7, "tokens": 3, "hidden_base64": "...", "queue_ms": 0.4, "latency_ms": 12.1}
 *   400 {"error": "..."} for malformed JSON or a step the engine rejects; 504 when the deadline passed;
 *   500 {"error": "..."} when the step failed (the request has then ended)
 * POST /v1/release  {"request": 7}   frees the request's KV cache
 * </pre>
 * Hidden states travel as base64 of little-endian float32 {@code [tokens, hidden_size]}, so they arrive bit for bit.
 * Run: {@code EmbeddingServer [port] [preset] [ranks]}.
 */
public final class EmbeddingServer implements AutoCloseable {
    private static final int MAX_BODY = 64 << 20;

    private final DeepSeekEngine engine;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Duration stepDeadline;

    /** Serves {@code engine} on {@code port} (0: any free port); the engine stays the caller's to close. */
    public EmbeddingServer(DeepSeekEngine engine, int port, Duration stepDeadline) throws IOException {
        this.engine = engine;
        this.stepDeadline = stepDeadline;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/v1/step", this::step);
        server.createContext("/v1/release", this::release);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void step(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                reply(exchange, 405, Map.of("error", "use POST"));
                return;
            }
            long id;
            int[] positions;
            float[] hidden;
            try {
                Map<String, Object> body = Json.parseObject(body(exchange));
                id = number(body, "request").longValue();
                positions = ints(body.get("positions"));
                hidden = floats(body);
            } catch (IllegalArgumentException | Json.JsonException | ClassCastException | NullPointerException e) {
                reply(exchange, 400, Map.of("error", "malformed request: " + e.getMessage()));
                return;
            }
            StepResult result;
            try {
                result = engine.submit(id, hidden, positions, stepDeadline).join();
            } catch (InvalidRequestException e) {
                reply(exchange, 400, Map.of("error", e.getMessage()));
                return;
            } catch (CompletionException | CancellationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                reply(exchange, cause instanceof TimeoutException ? 504 : 500, Map.of("error", String.valueOf(cause)));
                return;
            } catch (IllegalStateException e) {
                reply(exchange, 503, Map.of("error", e.getMessage()));
                return;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("request", id);
            out.put("tokens", (long) positions.length);
            out.put("hidden_base64", encode(result.hidden()));
            out.put("queue_ms", result.queueNanos() / 1e6);
            out.put("latency_ms", result.latencyNanos() / 1e6);
            reply(exchange, 200, out);
        }
    }

    private void release(HttpExchange exchange) throws IOException {
        try (exchange) {
            long id;
            try {
                id = number(Json.parseObject(body(exchange)), "request").longValue();
            } catch (IllegalArgumentException | Json.JsonException | ClassCastException | NullPointerException e) {
                reply(exchange, 400, Map.of("error", "malformed request: " + e.getMessage()));
                return;
            }
            try {
                engine.release(id);
            } catch (IllegalStateException e) {
                reply(exchange, 503, Map.of("error", e.getMessage()));
                return;
            }
            reply(exchange, 200, Map.of("request", id, "released", true));
        }
    }

    private static String body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new IllegalArgumentException("body larger than " + MAX_BODY + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static Number number(Map<String, Object> body, String key) {
        Object v = body.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
        }
        return n;
    }

    private static int[] ints(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("'positions' must be an array of integers");
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("'positions'[" + i + "] is not an int: " + list.get(i));
            }
            out[i] = (int) (long) l;
        }
        return out;
    }

    private static float[] floats(Map<String, Object> body) {
        if (body.get("hidden_base64") instanceof String s) {
            byte[] bytes = Base64.getDecoder().decode(s);
            if (bytes.length % Float.BYTES != 0) {
                throw new IllegalArgumentException("'hidden_base64' holds " + bytes.length + " bytes, not whole floats");
            }
            float[] out = new float[bytes.length / Float.BYTES];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        if (!(body.get("hidden") instanceof List<?> list)) {
            throw new IllegalArgumentException("'hidden' (array of numbers) or 'hidden_base64' is required");
        }
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }

    static String encode(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    private static void reply(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting, lets exchanges in flight finish (up to 2 s), and stops the handler threads. */
    @Override
    public void close() {
        server.stop(2);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        String preset = args.length > 1 ? args[1] : "tiny-v3";
        int ranks = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        DeepSeekEngine engine = DeepSeekEngine.builder().preset(preset).randomWeights(1).ranks(ranks).checkFinite(true)
                .build();
        EmbeddingServer server = new EmbeddingServer(engine, port, Duration.ofSeconds(30));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            engine.close();
        }));
        System.out.println("serving " + engine.config() + " on http://127.0.0.1:" + server.port() + "/v1/step");
    }
}
