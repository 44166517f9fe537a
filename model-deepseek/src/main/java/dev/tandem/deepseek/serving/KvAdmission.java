package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner;

/**
 * The engine's KV-cache budget per device: which waiting steps fit it now, counting the bytes their caches would
 * really grow by (caches grow by doubling) on the device that holds them. Used from the scheduler thread (and
 * {@link #checkFitsAlone} from any thread: it reads no runner state).
 */
final class KvAdmission {
    private final DecoderRunner runner;
    private final long budgetBytes;
    private final boolean failFast;
    private final long bytesPerToken;

    /**
     * @param budgetBytes   bytes per device, 0 for no budget
     * @param failFast      fail a step that does not fit now instead of letting it wait
     * @param bytesPerToken cache bytes of one token over all the runner's layers
     */
    KvAdmission(DecoderRunner runner, long budgetBytes, boolean failFast, long bytesPerToken) {
        this.runner = runner;
        this.budgetBytes = budgetBytes;
        this.failFast = failFast;
        this.bytesPerToken = bytesPerToken;
    }

    boolean enabled() {
        return budgetBytes > 0;
    }

    boolean failFast() {
        return failFast;
    }

    long budgetBytes() {
        return budgetBytes;
    }

    /** Bytes held per device now: the start of one engine step's projection. */
    long[] projection() {
        long[] projected = new long[runner.rankCount()];
        for (int r = 0; r < projected.length; r++) {
            projected[r] = runner.cacheBytes(r);
        }
        return projected;
    }

    /** On submit: a request whose tokens alone exceed one device's budget can never run. */
    void checkFitsAlone(long id, int tokens) {
        if (budgetBytes <= 0) {
            return;
        }
        long need = tokens * bytesPerToken;
        if (need > budgetBytes) {
            throw new KvCacheFullException("request " + id + ": " + tokens + " tokens need " + need
                    + " bytes of KV cache on one device, more than the budget of " + budgetBytes + " bytes");
        }
    }


    /**
     * Whether nothing but request {@code id}'s own cache takes the budget where it goes ({@code projected}
     * counts this step's admitted pieces too): then waiting for room would never end.
     */
    boolean aloneOnItsDevices(long id, long[] projected) {
        int home = runner.homeRank(id);
        if (runner.options().attention() == AttentionMode.TP) {
            for (int r = 0; r < projected.length; r++) {
                if (projected[r] - runner.cacheBytes(r, id) > 0) {
                    return false;
                }
            }
            return true;
        }
        if (home >= 0) {
            return projected[home] - runner.cacheBytes(home, id) == 0;
        }
        for (long bytes : projected) {
            if (bytes == 0) {
                return true;   // a new request does not fit even an empty device
            }
        }
        return false;
    }

    /**
     * Whether {@code tokens} more tokens of request {@code id} fit the KV budget of the device(s) that will hold
     * them: its home rank, or for a new request the rank with the least cache (where DP placement is likely to put
     * it), or every rank under TP attention. Counts them into {@code projected} when they do.
     */
    boolean admit(long id, int tokens, long[] projected) {
        if (runner.options().attention() == AttentionMode.TP) {
            long[] need = new long[projected.length];
            for (int r = 0; r < projected.length; r++) {
                need[r] = runner.cacheGrowthBytes(r, id, tokens);
                if (projected[r] + need[r] > budgetBytes) {
                    return false;
                }
            }
            for (int r = 0; r < projected.length; r++) {
                projected[r] += need[r];
            }
            return true;
        }
        int home = runner.homeRank(id);
        if (home < 0) {
            home = 0;
            for (int r = 1; r < projected.length; r++) {
                if (projected[r] < projected[home]) {
                    home = r;
                }
            }
        }
        long need = runner.cacheGrowthBytes(home, id, tokens);
        if (projected[home] + need > budgetBytes) {
            return false;
        }
        projected[home] += need;
        return true;
    }
}
