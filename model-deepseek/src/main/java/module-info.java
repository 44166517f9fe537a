/** DeepSeek V2 / V2-Lite / V3 decoder layers (MLA + MoE) on Tandem's backend-neutral runtime. */
module dev.tandem.deepseek {
    requires transitive dev.tandem.runtime;
    requires jdk.jfr;

    exports dev.tandem.deepseek.config;
    exports dev.tandem.deepseek.weights;
    exports dev.tandem.deepseek.model;
    exports dev.tandem.deepseek.cli;
    exports dev.tandem.deepseek.cost;
    exports dev.tandem.deepseek.serving;
    exports dev.tandem.deepseek.demo;
    exports dev.tandem.deepseek.plan;
}
