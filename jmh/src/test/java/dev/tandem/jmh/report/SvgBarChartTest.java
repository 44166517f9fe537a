package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SvgBarChartTest {

    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static List<String> texts(Document doc) {
        NodeList nodes = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            texts.add(nodes.item(i).getTextContent());
        }
        return texts;
    }

    @Test
    void reportChartIsWellFormedWithOneBarPerResultGroupedByClassAndUnit() throws Exception {
        List<BenchmarkResult> results = JmhResultsFile.parse(Samples.text(Samples.RESULTS));
        ReportHeader header = ReportHeader.of(results, Samples.machine(), Instant.parse("2026-11-28T15:40:00Z"));

        Document doc = parse(ResultsReport.chart(header, results));

        Element root = doc.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("svg");
        assertThat(Integer.parseInt(root.getAttribute("width"))).isPositive();
        // One background rectangle plus one bar per result.
        assertThat(doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength()).isEqualTo(1 + 4);
        assertThat(texts(doc)).contains(
                "GemmBenchmarks \u2014 GFLOP/s, higher is better",
                "CollectiveBenchmarks \u2014 MB/s, higher is better",
                "RuntimeBenchmarks \u2014 us/op, lower is better",
                "linear:gflop (gemm=512x512x512, threads=1)",
                "6.560 \u00b1 0.846 GFLOP/s",
                "11.01 GFLOP/s",
                "12.35 \u00b1 0.99 us/op");
    }

    @Test
    void barsShareAScaleWithinAGroupOnly() throws Exception {
        List<ChartBar> bars = List.of(
                new ChartBar("A", "big", 100, Double.NaN, "x/s", "a big"),
                new ChartBar("A", "half", 50, Double.NaN, "x/s", "a half"),
                new ChartBar("B", "small", 0.001, Double.NaN, "us/op", "b small"));

        Document doc = parse(SvgBarChart.render("t", List.of(), bars));

        NodeList rects = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        double big = Double.parseDouble(((Element) rects.item(1)).getAttribute("width"));
        double half = Double.parseDouble(((Element) rects.item(2)).getAttribute("width"));
        double small = Double.parseDouble(((Element) rects.item(3)).getAttribute("width"));
        assertThat(half).isEqualTo(big / 2);
        assertThat(small).isEqualTo(big);
    }

    @Test
    void markupInLabelsIsEscapedAndNaNDrawsNoBar() throws Exception {
        List<ChartBar> bars = List.of(new ChartBar("<g> & \"q\"", "a<b", Double.NaN, Double.NaN, "ops/s", "t&t"));

        Document doc = parse(SvgBarChart.render("x < y", List.of("a & b"), bars));

        assertThat(texts(doc)).contains("x < y", "a & b", "<g> & \"q\"", "a<b", "NaN ops/s");
        NodeList rects = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        assertThat(((Element) rects.item(1)).getAttribute("width")).isEqualTo("0.0");
    }
}
