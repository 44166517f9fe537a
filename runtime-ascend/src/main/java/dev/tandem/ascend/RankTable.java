package dev.tandem.ascend;

import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * An HCCL rank table (cluster-info JSON, version 1.0 as on Atlas A2): which server and device each rank uses.
 * {@link AscendRuntime#joinCommunicator(AscendDevice, Path, int)} passes the file itself to
 * {@code HcclCommInitClusterInfo}; this class reads it so a process can find its own device and validate the
 * file first. The whole file must be valid JSON; only the fields Tandem needs are read, and every value Tandem
 * reads is a string, as HCCL writes them.
 *
 * @param file  the rank table file it was read from
 * @param ranks every rank, ordered by rank id (ids are {@code 0..size-1})
 */
public record RankTable(Path file, List<Rank> ranks) {

    /**
     * One rank: its server, the physical device id and the device NIC address (may be empty on one server).
     *
     * @param rankId   the rank's id in the group
     * @param serverId the {@code server_id} of the server it runs on, or empty
     * @param deviceId the physical device id on that server
     * @param deviceIp the device NIC address ({@code device_ip}), or empty
     */
    public record Rank(int rankId, String serverId, int deviceId, String deviceIp) {
    }

    /**
     * Creates a rank table; {@code ranks} is copied.
     *
     * @param file  the rank table file
     * @param ranks every rank, ordered by rank id
     */
    public RankTable {
        ranks = List.copyOf(ranks);
    }

    /**
     * Reads and validates a rank table file: it must be JSON with {@code "status": "completed"} and list rank ids
     * {@code 0..n-1} without gaps or repeats.
     *
     * @param file the rank table file
     * @return the table
     * @throws InvalidArgumentException when the file cannot be read or is not a valid rank table
     */
    public static RankTable load(Path file) {
        String json;
        try {
            json = Files.readString(file);
        } catch (IOException e) {
            throw new InvalidArgumentException("cannot read rank table " + file + ": " + e.getMessage(), e);
        }
        Map<String, Object> table;
        try {
            table = Json.parseObject(json);
        } catch (Json.JsonException e) {
            throw new InvalidArgumentException("rank table " + file + ": " + e.getMessage(), e);
        }
        if (!"completed".equals(table.get("status"))) {
            throw new InvalidArgumentException("rank table " + file + " must have \"status\": \"completed\"");
        }
        List<Rank> ranks = new ArrayList<>();
        for (Object entry : list(table.get("server_list"), file, "server_list")) {
            Map<?, ?> server = object(entry, file, "a server_list entry");
            String serverId = server.get("server_id") instanceof String id ? id : "";
            for (Object d : list(server.get("device"), file, "device")) {
                Map<?, ?> device = object(d, file, "a device entry");
                if (!(device.get("rank_id") instanceof String rankId) || !(device.get("device_id") instanceof String deviceId)) {
                    throw new InvalidArgumentException("rank table " + file + ": a device entry lacks rank_id or device_id");
                }
                String ip = device.get("device_ip") instanceof String address ? address : "";
                try {
                    ranks.add(new Rank(Integer.parseInt(rankId), serverId, Integer.parseInt(deviceId), ip));
                } catch (NumberFormatException e) {
                    throw new InvalidArgumentException("rank table " + file + ": rank_id and device_id must be numbers", e);
                }
            }
        }
        ranks.sort(Comparator.comparingInt(Rank::rankId));
        for (int i = 0; i < ranks.size(); i++) {
            if (ranks.get(i).rankId() != i) {
                throw new InvalidArgumentException("rank table " + file + ": rank ids must be 0.." + (ranks.size() - 1)
                        + " without gaps or repeats");
            }
        }
        if (ranks.isEmpty()) {
            throw new InvalidArgumentException("rank table " + file + " lists no ranks");
        }
        return new RankTable(file, ranks);
    }

    private static List<?> list(Object value, Path file, String what) {
        if (!(value instanceof List<?> list)) {
            throw new InvalidArgumentException("rank table " + file + ": " + what + " must be an array");
        }
        return list;
    }

    private static Map<?, ?> object(Object value, Path file, String what) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new InvalidArgumentException("rank table " + file + ": " + what + " must be an object");
        }
        return map;
    }

    /**
     * The number of ranks in the group.
     *
     * @return the rank count
     */
    public int size() {
        return ranks.size();
    }

    /**
     * The entry for one rank.
     *
     * @param rankId the rank's id
     * @return its entry
     * @throws InvalidArgumentException when the table does not list {@code rankId}
     */
    public Rank rank(int rankId) {
        if (rankId < 0 || rankId >= ranks.size()) {
            throw new InvalidArgumentException("rank " + rankId + " is not in " + file + " (" + ranks.size() + " ranks)");
        }
        return ranks.get(rankId);
    }
}
