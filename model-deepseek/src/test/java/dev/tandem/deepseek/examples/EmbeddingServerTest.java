package dev.tandem.deepseek.examples;

import dev.tandem.runtime.json.Json;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.runtime.LinkEmulation;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** 16 concurrent clients and one malformed one against the example server; every good answer equals serial runs. */
class EmbeddingServerTest extends LeakCheck {
    private static final int CLIENTS = 16;

    private static DeepSeekEngine.Builder engine() {
        return DeepSeekEngine.builder().preset("tiny-v2lite").randomWeights(9).layers(0, 2).ranks(2).mla(MlaMode.NAIVE)
                .flopsPerSecond(5e9).link(new LinkEmulation(5, 5)).checkFinite(true);
    }

    /** One client's steps: a prompt then two decode steps. */
    private record Plan(long id, List<float[]> hidden, List<int[]> positions) {
    }

    @Test
    void concurrentClientsGetTheirSerialAnswersAndAMalformedClientOnlyErrors() throws Exception {
        int d = dev.tandem.deepseek.config.DeepSeekConfig.preset("tiny-v2lite").hiddenSize();
        List<Plan> plans = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int c = 0; c < CLIENTS; c++) {
            int prompt = 2 + random.nextInt(11);
            List<float[]> hidden = new ArrayList<>();
            List<int[]> positions = new ArrayList<>();
            hidden.add(gaussian(random, prompt * d));
            positions.add(range(0, prompt));
            for (int k = 0; k < 2; k++) {
                hidden.add(gaussian(random, d));
                positions.add(new int[]{prompt + k});
            }
            plans.add(new Plan(500 + c, hidden, positions));
        }
        List<List<float[]>> expected = new ArrayList<>();
        try (DeepSeekEngine oracle = engine().build()) {
            for (Plan p : plans) {
                List<float[]> outs = new ArrayList<>();
                for (int k = 0; k < p.hidden().size(); k++) {
                    outs.add(oracle.forward(List.of(new Request(p.id(), p.hidden().get(k), p.positions().get(k))),
                            ScheduleChoice.sequential()).hidden());
                }
                expected.add(outs);
                oracle.release(p.id());
            }
        }

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try (DeepSeekEngine engine = engine().build();
             EmbeddingServer server = new EmbeddingServer(engine, 0, Duration.ofSeconds(60));
             ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1)) {
            URI step = URI.create("http://127.0.0.1:" + server.port() + "/v1/step");
            URI release = URI.create("http://127.0.0.1:" + server.port() + "/v1/release");
            List<Future<List<float[]>>> answers = new ArrayList<>();
            for (Plan p : plans) {
                answers.add(clients.submit(() -> {
                    List<float[]> outs = new ArrayList<>();
                    for (int k = 0; k < p.hidden().size(); k++) {
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("request", p.id());
                        body.put("positions", positionsList(p.positions().get(k)));
                        body.put("hidden_base64", EmbeddingServer.encode(p.hidden().get(k)));
                        HttpResponse<String> r = post(http, step, Json.write(body));
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        outs.add(decode((String) Json.parseObject(r.body()).get("hidden_base64")));
                    }
                    assertThat(post(http, release, "{\"request\": " + p.id() + "}").statusCode()).isEqualTo(200);
                    return outs;
                }));
            }
            Future<List<Integer>> malformed = clients.submit(() -> {
                List<Integer> codes = new ArrayList<>();
                codes.add(post(http, step, "{not json").statusCode());
                codes.add(post(http, step, "{\"request\": 1}").statusCode());
                codes.add(post(http, step, "{\"request\": 1, \"positions\": [0, 1], \"hidden\": [1, 2, 3]}").statusCode());
                codes.add(post(http, step, "{\"request\": 1, \"positions\": [0, 2], \"hidden_base64\": \""
                        + EmbeddingServer.encode(new float[2 * d]) + "\"}").statusCode());
                float[] nan = new float[d];
                nan[3] = Float.NaN;
                codes.add(post(http, step, "{\"request\": 1, \"positions\": [0], \"hidden_base64\": \""
                        + EmbeddingServer.encode(nan) + "\"}").statusCode());
                codes.add(post(http, step, "{\"request\": 1, \"positions\": [5], \"hidden_base64\": \""
                        + EmbeddingServer.encode(new float[d]) + "\"}").statusCode());
                return codes;
            });
            assertThat(malformed.get(60, TimeUnit.SECONDS)).containsOnly(400);
            for (int c = 0; c < CLIENTS; c++) {
                List<float[]> got = answers.get(c).get(120, TimeUnit.SECONDS);
                for (int k = 0; k < got.size(); k++) {
                    assertThat(got.get(k)).as("client %d step %d", c, k).containsExactly(expected.get(c).get(k));
                }
            }
            assertThat(engine.cacheBytes()).containsOnly(0L);
        }
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Object> positionsList(int[] p) {
        List<Object> out = new ArrayList<>();
        for (int v : p) {
            out.add((long) v);
        }
        return out;
    }

    private static float[] decode(String base64) {
        byte[] bytes = Base64.getDecoder().decode(base64);
        float[] out = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static int[] range(int from, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }
}
