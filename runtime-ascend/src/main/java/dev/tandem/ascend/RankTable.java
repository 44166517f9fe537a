package dev.tandem.ascend;

import dev.tandem.runtime.InvalidArgumentException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HCCL rank table (cluster-info JSON, version 1.0 as on Atlas A2): which server and device each rank uses.
 * {@link AscendRuntime#joinCommunicator(AscendDevice, Path, int)} passes the file itself to
 * {@code HcclCommInitClusterInfo}; this class reads it so a process can find its own device and validate the
 * file first. Only the fields Tandem needs are read; every value in the file is a string.
 */
public record RankTable(Path file, List<Rank> ranks) {

    /** One rank: its server, the physical device id and the device NIC address (may be empty on one server). */
    public record Rank(int rankId, String serverId, int deviceId, String deviceIp) {
    }

    private static final Pattern SERVER = Pattern.compile(
            "\"server_id\"\\s*:\\s*\"([^\"]*)\"|\\{([^{}]*\"rank_id\"[^{}]*)}");
    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"]*)\"");

    public RankTable {
        ranks = List.copyOf(ranks);
    }

    public static RankTable load(Path file) {
        String json;
        try {
            json = Files.readString(file);
        } catch (IOException e) {
            throw new InvalidArgumentException("cannot read rank table " + file + ": " + e.getMessage(), e);
        }
        if (!json.replaceAll("\\s", "").contains("\"status\":\"completed\"")) {
            throw new InvalidArgumentException("rank table " + file + " must have \"status\": \"completed\"");
        }
        List<Rank> ranks = new ArrayList<>();
        String server = "";
        Matcher m = SERVER.matcher(json);
        while (m.find()) {
            if (m.group(1) != null) {
                server = m.group(1);
                continue;
            }
            String rankId = null;
            String deviceId = null;
            String ip = "";
            Matcher f = FIELD.matcher(m.group(2));
            while (f.find()) {
                switch (f.group(1)) {
                    case "rank_id" -> rankId = f.group(2);
                    case "device_id" -> deviceId = f.group(2);
                    case "device_ip" -> ip = f.group(2);
                    default -> {
                    }
                }
            }
            if (rankId == null || deviceId == null) {
                throw new InvalidArgumentException("rank table " + file + ": a device entry lacks rank_id or device_id");
            }
            try {
                ranks.add(new Rank(Integer.parseInt(rankId), server, Integer.parseInt(deviceId), ip));
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException("rank table " + file + ": rank_id and device_id must be numbers", e);
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

    public int size() {
        return ranks.size();
    }

    public Rank rank(int rankId) {
        if (rankId < 0 || rankId >= ranks.size()) {
            throw new InvalidArgumentException("rank " + rankId + " is not in " + file + " (" + ranks.size() + " ranks)");
        }
        return ranks.get(rankId);
    }
}
