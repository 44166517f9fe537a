package dev.tandem.deepseek.serving;

/**
 * The output of one submitted step of a request.
 *
 * @param requestId    the request
 * @param hidden       output hidden states {@code [tokens, hidden_size]}, row-major
 * @param firstPosition the position of the step's first token
 * @param queueNanos   from submit until the step's first tokens started running
 * @param latencyNanos from submit until the output was ready
 * @param engineSteps  engine steps the tokens took (more than one for a chunked prefill)
 */
public record StepResult(long requestId, float[] hidden, int firstPosition, long queueNanos, long latencyNanos,
                         int engineSteps) {
    /**
     * The number of output tokens.
     *
     * @param hiddenSize the model's hidden size
     * @return {@code hidden.length / hiddenSize}
     */
    public int tokens(int hiddenSize) {
        return hidden.length / hiddenSize;
    }
}
