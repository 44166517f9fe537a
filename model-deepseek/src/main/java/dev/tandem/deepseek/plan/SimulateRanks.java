package dev.tandem.deepseek.plan;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.Locale;

/**
 * Which ranks of the expert-parallel group the planner simulates, as {@code plan --simulate-ranks} takes it:
 * {@link #auto()} (a representative subset when every rank provably behaves the same, otherwise all), {@link #all()},
 * or {@link #exactly} N (a subset of N ranks, refused when the ranks do not all behave the same).
 *
 * @param count the forced number of simulated ranks; 0 for {@code auto}, -1 for {@code all}
 */
public record SimulateRanks(int count) {
    private static final int AUTO = 0;
    private static final int ALL = -1;

    /**
     * Checks the count.
     *
     * @throws InvalidArgumentException if {@code count} is below -1
     */
    public SimulateRanks {
        if (count < ALL) {
            throw new InvalidArgumentException("the number of simulated ranks must be positive, got " + count);
        }
    }

    /**
     * A representative subset when it provably stands for the group, otherwise every rank.
     *
     * @return the default choice
     */
    public static SimulateRanks auto() {
        return new SimulateRanks(AUTO);
    }

    /**
     * Every rank of the group.
     *
     * @return the choice to simulate all ranks
     */
    public static SimulateRanks all() {
        return new SimulateRanks(ALL);
    }

    /**
     * Exactly {@code n} ranks: all of them when {@code n} is the group's size, otherwise a subset standing for the
     * group, which the planner refuses unless {@code n} divides the group and every rank behaves the same.
     *
     * @param n simulated ranks, at least 1
     * @return the forced choice
     * @throws InvalidArgumentException if {@code n} is not positive
     */
    public static SimulateRanks exactly(int n) {
        if (n < 1) {
            throw new InvalidArgumentException("the number of simulated ranks must be positive, got " + n);
        }
        return new SimulateRanks(n);
    }

    /**
     * Parses {@code all}, {@code auto} or a positive integer (case-insensitive).
     *
     * @param text the option's value
     * @return the choice
     * @throws InvalidArgumentException if the text is none of them
     */
    public static SimulateRanks parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return auto();
        }
        if (t.equals("all")) {
            return all();
        }
        try {
            return exactly(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("--simulate-ranks must be all, auto or a positive number of ranks, got '"
                    + text + "'");
        }
    }

    /**
     * Whether the planner chooses.
     *
     * @return true for {@code auto}
     */
    public boolean isAuto() {
        return count == AUTO;
    }

    /**
     * Whether every rank is to be simulated whatever the group's size.
     *
     * @return true for {@code all}
     */
    public boolean isAll() {
        return count == ALL;
    }

    @Override
    public String toString() {
        return isAuto() ? "auto" : isAll() ? "all" : Integer.toString(count);
    }
}
