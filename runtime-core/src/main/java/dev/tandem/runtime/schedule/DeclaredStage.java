package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Stream;

import java.util.Objects;
import java.util.Set;

/** A stage built from its declaration and an action. */
record DeclaredStage<S>(String name, StageKind kind, Set<String> reads, Set<String> writes, boolean blocksHost,
                        Stage.StageAction<S> action) implements Stage<S> {

    DeclaredStage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (name.isBlank()) {
            throw new InvalidArgumentException("stage name must not be blank");
        }
        if (writes.isEmpty()) {
            throw new InvalidArgumentException("stage '" + name + "' writes nothing; every stage must declare its outputs");
        }
    }

    @Override
    public void issue(S microBatch, Stream stream) {
        action.issue(microBatch, stream);
    }

    @Override
    public String toString() {
        return name + "(" + kind + ")";
    }
}
